import numpy as np


def load_digits_tensors(test_size=0.25, seed=0):
    digits = load_digits()
    images = digits.data.astype(np.float64) / digits.data.max()
    X_train, X_test, y_train, y_test = train_test_split(
        images, digits.target, test_size=test_size, stratify=digits.target, random_state=seed
    )
    return (
        torch.from_numpy(X_train).float(),
        torch.from_numpy(X_test).float(),
        torch.from_numpy(y_train).long(),
        torch.from_numpy(y_test).long(),
    )


def accuracy(model, X, y):
    was_training = model.training
    model.eval()
    with torch.no_grad():
        predictions = model(X).double().argmax(1).numpy()
    model.train(was_training)
    return float(np.mean(predictions == y.numpy()))
