def trainer(model, criterion, optimizer, dataloader, epochs=5):
    history = []
    for _ in range(epochs):
        for X, y in dataloader:
            optimizer.zero_grad()
            loss = criterion(model(X), y)
            loss.backward()
            optimizer.step()
        history.append(loss.item())
    return history
