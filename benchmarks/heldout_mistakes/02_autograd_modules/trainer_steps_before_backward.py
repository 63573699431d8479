def trainer(model, criterion, optimizer, dataloader, epochs=5):
    history = []
    for _ in range(epochs):
        total = 0.0
        for X, y in dataloader:
            optimizer.zero_grad()
            loss = criterion(model(X), y)
            optimizer.step()
            loss.backward()
            total += loss.item()
        history.append(total / len(dataloader))
    return history
